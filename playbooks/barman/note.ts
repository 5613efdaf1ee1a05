// A plan note about a host: something tpa-barman deliberately leaves to the user.
import { NO_PROBE, type Probe } from '../../src/engine/probe.js';
import type { Resource } from '../../src/engine/resource.js';

export class NoteResource implements Resource<undefined> {
  readonly kind = 'note';
  readonly id: string;
  constructor(
    id: string,
    private readonly text: string,
    readonly tags: readonly string[],
  ) {
    this.id = `note:${id}`;
  }
  probe(): Probe<undefined> {
    return NO_PROBE;
  }
  plan(): null {
    return null;
  }
  notes(): string[] {
    return [this.text];
  }
}
