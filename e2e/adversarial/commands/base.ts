import type fc from 'fast-check';
import { orderAt, type Model } from '../model';
import type { World } from '../world';

/**
 * One step of an attack sequence. `act` sends its requests and checks the answers against the model
 * (World.expect); whatever it broke is thrown at the end. `toString()` is the step as generated (how
 * fast-check prints the shrunk sequence); what each step resolved to in the failing run (`resolved`:
 * the user, the order number, the ids and keys sent) is the trace in the error.
 */
export abstract class Step implements fc.AsyncCommand<Model, World> {
  protected resolved = '';

  check(_m: Readonly<Model>): boolean {
    return true;
  }

  protected abstract label(): string;
  protected abstract act(m: Model, w: World): Promise<void>;

  async run(m: Model, w: World): Promise<void> {
    this.resolved = '';
    w.executed.push(this.constructor.name);
    await this.act(m, w);
    w.trace.push(this.resolved ? `${this.label()} [${this.resolved}]` : this.label());
    w.flush(this.label());
  }

  /** The step as generated; what it resolved to in the failing run is in the error's trace. */
  toString(): string {
    return this.label();
  }
}

/** The user a pick names (commands are generated before the users exist), and how a report shows it. */
export const userOf = (m: Model, pick: number) => {
  const index = pick % m.users.length;
  return { index, user: m.users[index]!, name: `u${index + 1}` };
};

/**
 * Who acts on an order a pick names: its owner (shift 0) or another user (shift 1, 2…). With no
 * orders yet, the user the shift names.
 */
export const actorOf = (m: Model, pick: number, shift: number) => {
  const order = orderAt(m, pick);
  return userOf(m, (order?.owner ?? 0) + shift);
};

/** How a label names the actor of an order step. */
export const actorLabel = (shift: number) => (shift === 0 ? 'owner' : `owner+${shift}`);
