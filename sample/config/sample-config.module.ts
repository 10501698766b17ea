import { Module, type DynamicModule } from '@nestjs/common';
import type { SampleConfig } from './sample-config.js';

/** Injection token of the sample's SampleConfig. */
export const SAMPLE_CONFIG = 'SAMPLE:CONFIG';

/** Makes the parsed SampleConfig injectable. */
@Module({})
export class SampleConfigModule {
  static forRoot(config: SampleConfig): DynamicModule {
    return {
      module: SampleConfigModule,
      global: true,
      providers: [{ provide: SAMPLE_CONFIG, useValue: config }],
      exports: [SAMPLE_CONFIG],
    };
  }
}
