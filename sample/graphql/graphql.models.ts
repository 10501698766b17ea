import { ArgsType, Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { IsString, Length } from 'class-validator';

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

/** What the `ticks` subscription sends every 200 ms. */
@ObjectType()
export class Tick {
  @Field(() => Int)
  sequence!: number;

  @Field(() => Float)
  at!: number;
}
