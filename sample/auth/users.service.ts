import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;

/** A user of the sample; a session keeps only its ID (as the session's bound user). */
export interface AuthenticatedUser {
  id: string;
  username: string;
}

interface StoredUser extends AuthenticatedUser {
  salt: Buffer;
  passwordHash: Buffer;
}

const HASH_BYTES = 32;
/** The sample's users and their passwords, which the sign-in page shows: a demo, not a directory. */
export const DEMO_USERS: readonly (AuthenticatedUser & { password: string })[] = [
  { id: '1', username: 'alice', password: 'alice-password' },
  { id: '2', username: 'bob', password: 'bob-password' },
];

/** The demo user directory: passwords hashed with scrypt, compared in constant time. */
@Injectable()
export class UsersService implements OnModuleInit {
  private readonly users = new Map<string, StoredUser>();
  // Unknown user names are checked against this, so they take as long as known ones.
  private decoy!: StoredUser;

  async onModuleInit(): Promise<void> {
    for (const { password, ...user } of DEMO_USERS) {
      this.users.set(user.username, await hashed(user, password));
    }
    this.decoy = await hashed({ id: '', username: '' }, randomBytes(16).toString('hex'));
  }

  /** The user with this ID, or `undefined`. */
  byId(id: string | undefined): AuthenticatedUser | undefined {
    const user = [...this.users.values()].find((candidate) => candidate.id === id);
    return user && { id: user.id, username: user.username };
  }

  /** The user whose password matches, or `undefined`. */
  async verify(username: string, password: string): Promise<AuthenticatedUser | undefined> {
    const user = this.users.get(username) ?? this.decoy;
    const candidate = await scrypt(password, user.salt, HASH_BYTES);
    if (!timingSafeEqual(candidate, user.passwordHash) || user === this.decoy) return undefined;
    return { id: user.id, username: user.username };
  }
}

async function hashed(user: AuthenticatedUser, password: string): Promise<StoredUser> {
  const salt = randomBytes(16);
  return { ...user, salt, passwordHash: await scrypt(password, salt, HASH_BYTES) };
}
