import { IsString, Length } from 'class-validator';

/** Body of `POST /account/sessions/revoke`: the handle of the session, as the account page lists it. */
export class RevokeSessionDto {
  @IsString()
  @Length(1, 64)
  id!: string;
}
