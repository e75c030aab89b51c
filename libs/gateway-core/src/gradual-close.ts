/**
 * Closes `items` in batches spread evenly over `windowMs` (the first batch at once, the last
 * before the window ends): a draining gateway's clients then reconnect to the others a few
 * at a time instead of all in the same instant. At most one batch per `tickMs`; a window of
 * 0 closes everything at once.
 */
export async function closeGradually<T>(items: readonly T[], windowMs: number, close: (item: T) => void, tickMs = 100): Promise<void> {
  if (items.length === 0) return;
  const batches = Math.max(1, Math.min(items.length, Math.floor(windowMs / tickMs)));
  const size = Math.ceil(items.length / batches);
  const interval = windowMs / batches;
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await new Promise((resolve) => setTimeout(resolve, interval));
    for (const item of items.slice(start, start + size)) close(item);
  }
}
