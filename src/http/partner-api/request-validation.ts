import { Ajv, type Options } from 'ajv';
import type { FastifyInstance, FastifySchema } from 'fastify';
import secureJson from 'secure-json-parse';

const SHARED_OPTIONS: Options = { allErrors: false, strict: false, useDefaults: true };

/**
 * Configures strict request parsing and validation for the partner API.
 *
 * Bodies are validated without type coercion and without silently dropping unknown
 * properties, so `{"name": 42}` and a misspelt field are errors. Path and query values
 * arrive as text, so their validator coerces types (`limit=20` becomes a number). Only
 * `application/json` bodies are accepted, and an empty JSON body counts as no body, so
 * `POST …/revoke` works with or without `Content-Type: application/json`.
 */
export function configureRequestValidation(app: FastifyInstance): void {
  const bodyValidator = new Ajv({ ...SHARED_OPTIONS, coerceTypes: false, removeAdditional: false });
  const textValidator = new Ajv({ ...SHARED_OPTIONS, coerceTypes: true, removeAdditional: false });
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyValidator.compile(schema as object) : textValidator.compile(schema as object),
  );

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(
        Object.assign(new Error('The request body is not valid JSON.'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }),
        undefined,
      );
    }
  });
}
