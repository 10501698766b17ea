import 'reflect-metadata';
import { loadSampleConfig } from './config/sample-config.js';
import { createSampleApp } from './create-sample-app.js';

const config = loadSampleConfig();
const app = await createSampleApp(config);
await app.listen(config.port, config.host);
console.log(`Sample listening on http://${config.host}:${config.port}`);
