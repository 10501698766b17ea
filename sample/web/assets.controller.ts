import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from 'nestjs-secure-session';
import { ASSETS } from './assets.js';

/** Serves the pages' script and stylesheet at `/assets/<name>`, from this origin. */
@Public()
@Controller('assets')
export class AssetsController {
  @Get(':name')
  asset(@Param('name') name: string, @Res({ passthrough: true }) res: Response): string {
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) throw new NotFoundException();
    res.type(asset.type);
    // Revalidated on each use (Express sends an ETag), so a new deploy is picked up at once.
    res.setHeader('Cache-Control', 'no-cache');
    return asset.body;
  }
}
