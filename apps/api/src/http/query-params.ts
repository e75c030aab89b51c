/** `?beforeSeq=` with nothing after it means "not given", as a form would send it. */
export const blankIsAbsent = (value: unknown) => (value === '' ? undefined : value);
