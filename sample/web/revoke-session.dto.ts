import { Allow, IsString, Length } from 'class-validator';

/**
 * Body of `POST /account/sessions/revoke`: the handle of the session, as the account page lists
 * it, and the form's CSRF token (checked by CsrfTokenGuard).
 */
export class RevokeSessionDto {
  @IsString()
  @Length(1, 64)
  id!: string;

  @Allow()
  _csrf?: unknown;
}
