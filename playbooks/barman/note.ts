// A plan note about a host: something tpa-barman deliberately leaves to the user.
import type { ProbeSpec, Resource } from '../../src/engine/resource.js';

export class NoteResource implements Resource {
  readonly kind = 'note';
  readonly id: string;
  constructor(
    id: string,
    private readonly text: string,
    readonly tags: readonly string[],
  ) {
    this.id = `note:${id}`;
  }
  probe(): ProbeSpec {
    return {};
  }
  plan(): null {
    return null;
  }
  notes(): string[] {
    return [this.text];
  }
}
