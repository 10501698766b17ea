import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { Public } from 'nestjs-secure-session';
import { ASSETS } from './assets.js';
import type { HttpReply } from './http-reply.js';

/** Serves the pages' script and stylesheet at `/assets/<name>`, from this origin. */
@Public()
@Controller('assets')
export class AssetsController {
  // Revalidated on each use (with the ETag Express sends; Fastify sends none, so the file comes
  // again), so a new deploy is picked up at once.
  @Get(':name')
  @Header('Cache-Control', 'no-cache')
  asset(@Param('name') name: string, @Res({ passthrough: true }) res: HttpReply): string {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) throw new NotFoundException();
    res.type(asset.type);
    return asset.body;
  }
}
