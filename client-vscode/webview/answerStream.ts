// Assembles one answer from its streamed batches. Batches carry a per-request `seq` without
// gaps; a batch that arrives early waits until the ones before it are in, so the text is
// always the batches' concatenation in `seq` order (a duplicate is ignored).
import type { DeltaKind } from "../shared/messages";

export interface Delta {
  seq: number;
  kind: DeltaKind;
  text: string;
}

export class AnswerStream {
  private nextSeq = 0;
  private readonly early = new Map<number, Delta>();
  private readonly parts: Record<DeltaKind, string[]> = { content: [], thinking: [] };
  private readonly joined: Record<DeltaKind, string> = { content: "", thinking: "" };

  /** Add a batch; returns whether any text became visible. */
  push(delta: Delta): boolean {
    if (delta.seq < this.nextSeq || this.early.has(delta.seq)) return false;
    this.early.set(delta.seq, delta);
    let grew = false;
    for (let next = this.early.get(this.nextSeq); next; next = this.early.get(this.nextSeq)) {
      this.early.delete(this.nextSeq);
      this.parts[next.kind].push(next.text);
      this.nextSeq += 1;
      grew = true;
    }
    return grew;
  }

  text(kind: DeltaKind): string {
    // Joined lazily: pushing stays O(1) per batch however long the answer gets.
    if (this.parts[kind].length > 0) {
      this.joined[kind] += this.parts[kind].join("");
      this.parts[kind] = [];
    }
    return this.joined[kind];
  }

  get content(): string {
    return this.text("content");
  }

  get thinking(): string {
    return this.text("thinking");
  }
}
