import { ArgsType, Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

/** A user of the sample, as `me` and `login` return it. */
@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;
}

/** One of the user's live sessions, as `SessionService.list()` shows it. */
@ObjectType()
export class SessionEntry {
  /** An opaque handle, never the session ID. */
  @Field(() => ID)
  id!: string;

  @Field(() => Float)
  createdAt!: number;

  @Field(() => Float)
  lastActivityAt!: number;

  /** When the user last signed in or confirmed their password on this session. */
  @Field(() => Float)
  authenticatedAt!: number;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field()
  current!: boolean;
}

/** Arguments of the `login` mutation, checked like the body of `POST /auth/login`. */
@ArgsType()
export class LoginArgs {
  @Field()
  @IsString()
  @Length(1, 64)
  username!: string;

  @Field()
  @IsString()
  @Length(1, 256)
  password!: string;
}

/** Arguments of the `reauthenticate` mutation, checked like the body of `POST /auth/reauthenticate`. */
@ArgsType()
export class ReauthenticateArgs {
  @Field()
  @IsString()
  @Length(1, 256)
  password!: string;
}

/** Arguments of the `changeEmail` mutation, checked like the body of `POST /auth/email`. */
@ArgsType()
export class ChangeEmailArgs {
  @Field()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;
}

/** What the `ticks` subscription sends every 200 ms. */
@ObjectType()
export class Tick {
  @Field(() => Int)
  sequence!: number;

  @Field(() => Float)
  at!: number;
}
