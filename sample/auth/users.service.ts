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
  email: string;
}

const HASH_BYTES = 32;
/** The sample's users and their passwords, which the sign-in page shows: a demo, not a directory. */
export const DEMO_USERS: readonly (AuthenticatedUser & { password: string; email: string })[] = [
  { id: '1', username: 'alice', password: 'alice-password', email: 'alice@example.com' },
  { id: '2', username: 'bob', password: 'bob-password', email: 'bob@example.com' },
];

/**
 * The demo user directory, in memory: passwords hashed with scrypt, compared in constant time;
 * an email each, which the user may change.
 */
@Injectable()
export class UsersService implements OnModuleInit {
  private readonly users = new Map<string, StoredUser>();
  // Unknown user names are checked against this, so they take as long as known ones.
  private decoy!: StoredUser;

  async onModuleInit(): Promise<void> {
    for (const { password, ...user } of DEMO_USERS) {
      this.users.set(user.username, await hashed(user, password));
    }
    this.decoy = await hashed({ id: '', username: '', email: '' }, randomBytes(16).toString('hex'));
  }

  /** The user with this ID, or `undefined`. */
  byId(id: string | undefined): AuthenticatedUser | undefined {
    const user = this.stored(id);
    return user && { id: user.id, username: user.username };
  }

  /** The email of the user with this ID, or `undefined`. */
  emailOf(id: string | undefined): string | undefined {
    return this.stored(id)?.email;
  }

  /** Changes a user's email (already validated); false for an unknown user. */
  changeEmail(id: string, email: string): boolean {
    const user = this.stored(id);
    if (user) user.email = email;
    return user !== undefined;
  }

  /** Whether this is the password of the user with this ID (the check before a sensitive action). */
  async confirmPassword(id: string | undefined, password: string): Promise<boolean> {
    const user = this.stored(id);
    return (await this.verify(user?.username ?? '', password)) !== undefined;
  }

  /** The user whose password matches, or `undefined`. */
  async verify(username: string, password: string): Promise<AuthenticatedUser | undefined> {
    const user = this.users.get(username) ?? this.decoy;
    const candidate = await scrypt(password, user.salt, HASH_BYTES);
    if (!timingSafeEqual(candidate, user.passwordHash) || user === this.decoy) return undefined;
    return { id: user.id, username: user.username };
  }

  private stored(id: string | undefined): StoredUser | undefined {
    return [...this.users.values()].find((candidate) => candidate.id === id);
  }
}

async function hashed(
  user: Omit<StoredUser, 'salt' | 'passwordHash'>,
  password: string,
): Promise<StoredUser> {
  const salt = randomBytes(16);
  return { ...user, salt, passwordHash: await scrypt(password, salt, HASH_BYTES) };
}
