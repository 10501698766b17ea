import { IsString, Length } from 'class-validator';

/** Body of `POST /auth/login` (JSON) and of the sign-in form, `POST /sign-in`. */
export class LoginDto {
  @IsString()
  @Length(1, 64)
  username!: string;

  @IsString()
  @Length(1, 256)
  password!: string;
}
