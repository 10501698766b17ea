import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { Public, Session, type RequestSession } from '../../lib/index.js';

/** Routes tests of the engine share: an anonymous cart, and who the session belongs to. */
@Controller()
export class CartProbeController {
  @Public()
  @Post('cart/:item')
  @HttpCode(200)
  add(@Session() session: RequestSession, @Param('item') item: string) {
    session.cart = [...(session.cart ?? []), item];
    return { items: session.cart };
  }

  @Public()
  @Get('cart')
  cart(@Session('cart') cart: string[] | undefined) {
    return { items: cart ?? [] };
  }

  @Get('me')
  me(@Session() session: RequestSession) {
    return { userId: session.meta?.userId };
  }
}
