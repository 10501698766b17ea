import { Module } from '@nestjs/common';
import { UsersService } from './users.service.js';

/** The demo user directory, for every part of the sample that needs it. */
@Module({ providers: [UsersService], exports: [UsersService] })
export class UsersModule {}
