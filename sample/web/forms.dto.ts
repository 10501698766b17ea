import { Allow } from 'class-validator';
import { ChangeEmailDto } from '../auth/change-email.dto.js';
import { LoginDto } from '../auth/login.dto.js';
import { ReauthenticateDto } from '../auth/reauthenticate.dto.js';
import { AddItemDto } from '../cart/add-item.dto.js';

// The bodies of the pages' forms: the JSON API's, plus the `_csrf` token each form carries, which
// CsrfTokenGuard has checked before the body is validated (and which the JSON API does not take).

/** The sign-in form, `POST /sign-in`. */
export class SignInForm extends LoginDto {
  @Allow()
  _csrf?: unknown;
}

/** The sign-in page's cart form, `POST /cart/add`. */
export class AddItemForm extends AddItemDto {
  @Allow()
  _csrf?: unknown;
}

/** The account page's "Change email" form, `POST /account/email`. */
export class ChangeEmailForm extends ChangeEmailDto {
  @Allow()
  _csrf?: unknown;
}

/** The "Confirm your password" form, `POST /account/confirm-password`. */
export class ConfirmPasswordForm extends ReauthenticateDto {
  @Allow()
  _csrf?: unknown;
}
