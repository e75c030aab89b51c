/** A method of a proto-loader package definition, as far as its response serializer goes. */
interface MethodDefinition {
  responseSerialize(value: unknown): Buffer;
}

/**
 * Makes a streaming method encode each response object once, however many streams it is
 * written to: a room event is one object for all its recipients (protoEventOf), and grpc-js
 * copies the encoded bytes into each message's own frame, so the buffer can be shared. Called
 * on the package definition before the server is built from it.
 */
export function encodeOncePerObject(definition: Record<string, unknown>, service: string, method: string): void {
  const methodDefinition = (definition[service] as Record<string, MethodDefinition> | undefined)?.[method];
  if (!methodDefinition) throw new Error(`${service}/${method} is not in the package definition`);
  const encode = methodDefinition.responseSerialize;
  const encoded = new WeakMap<object, Buffer>();
  methodDefinition.responseSerialize = (value: unknown) => {
    if (typeof value !== 'object' || value === null) return encode(value);
    let bytes = encoded.get(value);
    if (!bytes) encoded.set(value, (bytes = encode(value)));
    return bytes;
  };
}
