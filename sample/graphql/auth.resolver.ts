import { UnauthorizedException } from '@nestjs/common';
import { Args, Context, Mutation, Query, Resolver } from '@nestjs/graphql';
import {
  Public,
  Session,
  SessionService,
  type RequestSession,
  type SessionRequest,
} from 'nestjs-secure-session';
import { UsersService } from '../auth/users.service.js';
import { LoginArgs, ReauthenticateArgs, SessionEntry, User } from './graphql.models.js';

/**
 * The GraphQL side of AuthController: every field is behind the global RevokedSessionGuard
 * unless marked @Public(), and mutations pass SameOriginGuard like any POST.
 */
@Resolver()
export class AuthResolver {
  constructor(
    private readonly users: UsersService,
    private readonly sessionService: SessionService,
  ) {}

  @Query(() => User)
  me(@Session() session: RequestSession): User {
    const user = this.users.byId(session.meta?.userId);
    if (!user) throw new UnauthorizedException();
    return user;
  }

  @Query(() => [SessionEntry])
  sessions(
    @Session() session: RequestSession,
    @Context('req') req: SessionRequest,
  ): Promise<SessionEntry[]> {
    return this.sessionService.list(session.meta!.userId!, req);
  }

  @Public()
  @Mutation(() => User)
  async login(
    @Args() { username, password }: LoginArgs,
    @Context('req') req: SessionRequest,
  ): Promise<User> {
    const user = await this.users.verify(username, password);
    if (!user) throw new UnauthorizedException('Invalid username or password');
    // As in AuthController: a new session ID, the anonymous cart carried over, the user bound.
    await this.sessionService.login(req, user.id, { keep: ['cart'] });
    return user;
  }

  /** As `POST /auth/reauthenticate`: the password again, before a sensitive action. */
  @Mutation(() => Boolean)
  async reauthenticate(
    @Args() { password }: ReauthenticateArgs,
    @Session() session: RequestSession,
    @Context('req') req: SessionRequest,
  ): Promise<boolean> {
    if (!(await this.users.confirmPassword(session.meta?.userId, password)))
      throw new UnauthorizedException('Invalid password');
    await this.sessionService.reauthenticate(req);
    return true;
  }

  @Mutation(() => Boolean)
  async logout(@Context('req') req: SessionRequest): Promise<boolean> {
    await this.sessionService.logout(req);
    return true;
  }
}
