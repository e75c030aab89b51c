import { User } from '@chat/protocol';
import { ClientSocket } from './client-socket';

/**
 * The gateway's sockets by connection id and by user (for `user:{id}` deliveries).
 * A user usually has one socket, so the per-user entry is the socket itself until a second
 * device appears; then a Set (adding and removing stay O(1) for a user with many sockets).
 */
export class ConnectionRegistry {
  private readonly byId = new Map<string, ClientSocket>();
  private readonly byUser = new Map<string, ClientSocket | Set<ClientSocket>>();

  get size(): number {
    return this.byId.size;
  }

  get(connectionId: string): ClientSocket | undefined {
    return this.byId.get(connectionId);
  }

  /** Registers an authenticated socket; true when it is the user's first on this gateway. */
  add(socket: ClientSocket, userId: string): boolean {
    this.byId.set(socket.getUserData().id, socket);
    const current = this.byUser.get(userId);
    if (!current) {
      this.byUser.set(userId, socket);
      return true;
    }
    if (current instanceof Set) current.add(socket);
    else this.byUser.set(userId, new Set([current, socket]));
    return false;
  }

  /** Unregisters; true when it was the user's last socket on this gateway. */
  remove(socket: ClientSocket, userId: string): boolean {
    this.byId.delete(socket.getUserData().id);
    const current = this.byUser.get(userId);
    if (!(current instanceof Set)) {
      if (current === socket) this.byUser.delete(userId);
      return current === socket;
    }
    current.delete(socket);
    if (current.size === 1) this.byUser.set(userId, current.values().next().value!);
    return false;
  }

  /**
   * The User object the user's sockets here already hold, when it says the same as `user`;
   * else `user` itself. Lets a second device share the first one's object and strings.
   */
  sharedUser(user: User): User {
    const current = this.byUser.get(user.id);
    const socket = current instanceof Set ? current.values().next().value : current;
    const held = socket?.getUserData().user;
    return held !== undefined && held.id === user.id && held.username === user.username ? held : user;
  }

  /** How many sockets the user has on this gateway. */
  countOf(userId: string): number {
    const current = this.byUser.get(userId);
    return current === undefined ? 0 : current instanceof Set ? current.size : 1;
  }

  ofUser(userId: string): ClientSocket[] {
    const current = this.byUser.get(userId);
    return current === undefined ? [] : current instanceof Set ? [...current] : [current];
  }

  all(): IterableIterator<ClientSocket> {
    return this.byId.values();
  }
}
