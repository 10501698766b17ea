import type { Type } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { RecentLogin, Session, type RequestSession } from 'nestjs-secure-session';
import { UsersService } from '../auth/users.service.js';
import { ChangeEmailArgs } from './graphql.models.js';

/**
 * The `changeEmail(email)` mutation, as `POST /auth/email`: with a sign-in or `reauthenticate`
 * older than `recentLoginMs`, refused with `extensions.code` REAUTHENTICATION_REQUIRED (HTTP 403).
 * Declared per app, as its window is configuration (see `SampleConfig.recentLoginMs`).
 */
export function emailResolver(recentLoginMs: number): Type {
  @Resolver()
  class EmailResolver {
    constructor(private readonly users: UsersService) {}

    @Mutation(() => String)
    @RecentLogin(recentLoginMs)
    changeEmail(@Args() { email }: ChangeEmailArgs, @Session() session: RequestSession): string {
      this.users.changeEmail(session.meta!.userId!, email);
      return email;
    }
  }
  return EmailResolver;
}
