import { IsString, Length } from 'class-validator';

/**
 * Body of `POST /auth/reauthenticate` (JSON) and of the confirm-password form,
 * `POST /account/confirm-password`: the signed-in user's password, again.
 */
export class ReauthenticateDto {
  @IsString()
  @Length(1, 256)
  password!: string;
}
