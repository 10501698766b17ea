import { IsEmail, IsString, MaxLength } from 'class-validator';

/** Body of `POST /auth/email` (JSON) and of the account page's form, `POST /account/email`. */
export class ChangeEmailDto {
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;
}
