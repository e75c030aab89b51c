import { OpStream } from './op-stream';

export interface StoredOp {
  stream: string;
  id: string;
  fields: Record<string, string>;
}

/** Streams in a list, for tests: what was appended, in order. Set `failing` to refuse appends. */
export class MemoryOpStream implements OpStream {
  readonly entries: StoredOp[] = [];
  failing?: Error;
  private seq = 0;

  async append(stream: string, fields: string[]): Promise<string> {
    if (this.failing) throw this.failing;
    const record: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) record[fields[i]] = fields[i + 1];
    const id = `${++this.seq}-0`;
    this.entries.push({ stream, id, fields: record });
    return id;
  }

  /** The op types appended (the `type` of each entry's frame), optionally of one stream. */
  types(stream?: string): string[] {
    return this.entries
      .filter((e) => stream === undefined || e.stream === stream)
      .map((e) => (JSON.parse(e.fields.f) as { type: string }).type);
  }
}
