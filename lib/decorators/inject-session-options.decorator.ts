import { Inject } from '@nestjs/common';
import { RESOLVED_SESSION_OPTIONS } from '../session.constants.js';

/**
 * Injects the module's options as validated, with every default filled in
 * (`ResolvedSessionOptions`): for a subclass of SameOriginGuard, or code of your own that needs
 * the cookie policy or timeouts.
 */
export const InjectSessionOptions = (): ParameterDecorator & PropertyDecorator =>
  Inject(RESOLVED_SESSION_OPTIONS);
