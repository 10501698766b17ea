/** @internal A class-validator schema class of options. */
export type OptionsSchemaClass = new () => object;

const nestedSchemas = new WeakMap<Function, Map<string, () => OptionsSchemaClass>>();

/**
 * @internal Names the schema of an option that is itself an object of options (`cookie`,
 * `redis`, `redis.cluster`…), next to its `@ValidateNested()`. It plays the part of
 * class-transformer's `@Type`: that package is not a dependency of this one, and its
 * `plainToInstance` would copy what must stay as given (`redis.client`, a live connection).
 */
export function NestedOptions(schema: () => OptionsSchemaClass): PropertyDecorator {
  return (target, property) => {
    const own =
      nestedSchemas.get(target.constructor) ?? new Map<string, () => OptionsSchemaClass>();
    own.set(String(property), schema);
    nestedSchemas.set(target.constructor, own);
  };
}

/** @internal The schema of each nested option of `schema`, by property name. */
export function nestedOptionsOf(schema: OptionsSchemaClass): Map<string, OptionsSchemaClass> {
  const own = nestedSchemas.get(schema) ?? new Map<string, () => OptionsSchemaClass>();
  return new Map([...own].map(([property, nested]) => [property, nested()]));
}

/**
 * @internal The user's options as an instance of `schema`, each nested options object as an
 * instance of its own schema, ready for class-validator. A nested value that is not a plain
 * object is left as given, for the validator to refuse with the option's path.
 */
export function toSchemaInstance(schema: OptionsSchemaClass, options: object): object {
  const instance = Object.assign(new schema(), options) as Record<string, unknown>;
  for (const [property, nested] of nestedOptionsOf(schema)) {
    const value = instance[property];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      instance[property] = toSchemaInstance(nested, value);
    }
  }
  return instance;
}
