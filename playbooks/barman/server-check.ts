// config.yml against the running servers (server-model.ts): what they contradict refuses
// the whole run before any change, as a conflict on the host. It reads nothing itself;
// discovery already did.
import type { Conflict } from '../../src/engine/ownership.js';
import { NO_PROBE, type Probe } from '../../src/engine/probe.js';
import type { Change, Resource } from '../../src/engine/resource.js';

export class ServerCheckResource implements Resource<undefined> {
  readonly kind = 'check';
  readonly id = 'check:config-against-server';
  // `always`: selected whatever --tags says, as in Ansible; a wrong config is wrong for every tag.
  readonly tags: readonly string[] = ['barman', 'always'];
  constructor(private readonly problems: readonly Conflict[]) {}

  probe(): Probe<undefined> {
    return NO_PROBE;
  }

  conflicts(): Conflict[] {
    return [...this.problems];
  }

  plan(): Change | null {
    return null;
  }
}
