import { getMetadataStorage } from 'class-validator';
import { nestedOptionsOf, type OptionsSchemaClass } from '../../lib/options/nested-options.js';
import { SESSION_DEFAULTS } from '../../lib/options/session-defaults.js';
import { SessionOptionsSchema } from '../../lib/options/session-options.schema.js';
import { SESSION_MODULE_EXTRAS } from '../../lib/session.module-definition.js';

/** One option as the code declares it: read from the schemas and the defaults, never listed. */
export interface DeclaredOption {
  /** Dotted path: `cookie.sameSite`. */
  path: string;
  /** The class (or, for the module's extras, interface) that declares it, and its name there. */
  declaredIn: string;
  property: string;
  /** Without `@IsOptional()`: required whenever its parent object is given. */
  required: boolean;
  /** An object of options with a schema of its own (`cookie`, `redis.cluster`). */
  nested: boolean;
  /** From SESSION_DEFAULTS (or the extras' defaults); undefined when it has none. */
  default: unknown;
}

/** Every option: each property class-validator knows on each schema, nested ones walked into. */
export function declaredOptions(): DeclaredOption[] {
  const extras = Object.entries(SESSION_MODULE_EXTRAS).map(([property, value]) => ({
    path: property,
    declaredIn: 'SessionModuleExtras',
    property,
    required: false,
    nested: false,
    default: value,
  }));
  return [...walk(SessionOptionsSchema, '', SESSION_DEFAULTS), ...extras];
}

function walk(schema: OptionsSchemaClass, prefix: string, defaults: unknown): DeclaredOption[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false);
  const nested = nestedOptionsOf(schema);
  return [...new Set(metadata.map((m) => m.propertyName))].flatMap((property) => {
    const path = `${prefix}${property}`;
    const child = nested.get(property);
    const value = (defaults as Record<string, unknown> | undefined)?.[property];
    const option: DeclaredOption = {
      path,
      declaredIn: schema.name,
      property,
      required: !metadata.some((m) => m.propertyName === property && m.name === 'isOptional'),
      nested: child !== undefined,
      default: child ? undefined : value,
    };
    return child ? [option, ...walk(child, `${path}.`, value)] : [option];
  });
}

/** A default as docs/options.md and the `@default` tags write it: `'lax'`, `2000`, `['{*path}']`. */
export function formatDefault(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(formatDefault).join(', ')}]`;
  return String(value);
}
