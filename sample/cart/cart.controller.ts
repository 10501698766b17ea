import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Redirect,
  Req,
  UseGuards,
} from '@nestjs/common';
import {
  CsrfTokenGuard,
  Public,
  Session,
  SessionService,
  type RequestSession,
  type SessionRequest,
} from 'nestjs-secure-session';
import { AddItemForm } from '../web/forms.dto.js';
import { AddItemDto } from './add-item.dto.js';

const MAX_ITEMS = 100;

/**
 * A cart that works without login and is carried into the session on login. `POST /cart` is JSON
 * API, for scripts, guarded against other sites by SameOriginGuard alone; the sign-in page's form,
 * `POST /cart/add`, also needs the page's CSRF token.
 */
@Public()
@Controller('cart')
export class CartController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  list(@Session('cart') cart: string[] | undefined): { items: string[] } {
    return { items: cart ?? [] };
  }

  @Post()
  @HttpCode(200)
  async add(
    @Body() body: AddItemDto,
    @Session() session: RequestSession,
    @Req() req: SessionRequest,
  ): Promise<{ items: string[] }> {
    const items = session.cart ?? [];
    if (items.length >= MAX_ITEMS)
      throw new BadRequestException(`A cart holds at most ${MAX_ITEMS} items`);
    session.cart = [...items, body.item];
    // Saved before answering, so a store failure is a 503 rather than a silently lost item.
    await this.sessions.save(req);
    return { items: session.cart };
  }

  /** The sign-in page's form (`item=...`, urlencoded): adds the item, then 303 back to `/`. */
  @Post('add')
  @UseGuards(CsrfTokenGuard)
  @Redirect('/', 303)
  async addFromForm(
    @Body() body: AddItemForm,
    @Session() session: RequestSession,
    @Req() req: SessionRequest,
  ): Promise<void> {
    await this.add(body, session, req);
  }
}
