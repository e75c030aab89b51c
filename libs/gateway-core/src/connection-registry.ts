import { ClientSocket } from './client-socket';

/**
 * The gateway's sockets by connection id and by user (for `user:{id}` deliveries).
 * A user usually has one socket, so the per-user entry is the socket itself until a second
 * device appears: no array per connection.
 */
export class ConnectionRegistry {
  private readonly byId = new Map<string, ClientSocket>();
  private readonly byUser = new Map<string, ClientSocket | ClientSocket[]>();

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
    this.byUser.set(userId, Array.isArray(current) ? [...current, socket] : [current, socket]);
    return false;
  }

  /** Unregisters; true when it was the user's last socket on this gateway. */
  remove(socket: ClientSocket, userId: string): boolean {
    this.byId.delete(socket.getUserData().id);
    const current = this.byUser.get(userId);
    if (!Array.isArray(current)) {
      if (current === socket) this.byUser.delete(userId);
      return current === socket;
    }
    const rest = current.filter((s) => s !== socket);
    this.byUser.set(userId, rest.length === 1 ? rest[0] : rest);
    return false;
  }

  ofUser(userId: string): ClientSocket[] {
    const current = this.byUser.get(userId);
    return current === undefined ? [] : Array.isArray(current) ? current : [current];
  }

  all(): IterableIterator<ClientSocket> {
    return this.byId.values();
  }
}
