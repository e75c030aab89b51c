import { BearerGuard, CurrentUser, SessionAuthenticator } from '@chat/accounts';
import { AttachmentLinks, AttachmentsService, downloadHeaders, UploadedAttachment } from '@chat/attachments';
import type { Logger } from '@chat/observability';
import type { User } from '@chat/protocol';
import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { API_LOGGER } from '../api.tokens';
import { closeAfterAnswer } from '../http/linger-close';
import { AttachmentIdParam, AttachmentLinkQuery } from './attachment-params.schema';

/**
 * Uploads (`POST /api/uploads`, multipart) and downloads (`GET /api/attachments/:id`, with a
 * Bearer token or a signed link from `GET /api/attachments/:id/link`). The logic is
 * libs/attachments'; this is the HTTP transport.
 */
@Controller('api')
export class AttachmentsController {
  constructor(
    @Inject(AttachmentsService) private readonly attachments: AttachmentsService,
    @Inject(AttachmentLinks) private readonly links: AttachmentLinks,
    @Inject(SessionAuthenticator) private readonly sessions: SessionAuthenticator,
    @Inject(API_LOGGER) private readonly logger: Logger,
  ) {}

  @Post('uploads')
  @HttpCode(201)
  @UseGuards(BearerGuard)
  async upload(
    @CurrentUser() user: User,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ attachment: UploadedAttachment }> {
    try {
      return { attachment: await this.attachments.upload(user.id, request) };
    } catch (err) {
      // Refused before the body was read to its end (too large): answer, then hang up rather
      // than read the rest of an unbounded body.
      if (!request.complete) closeAfterAnswer(request, response);
      throw err;
    }
  }

  @Get('attachments/:id/link')
  @UseGuards(BearerGuard)
  async link(@CurrentUser() user: User, @Param('id', { schema: AttachmentIdParam }) id: string): Promise<{ url: string; expiresAt: string }> {
    await this.attachments.readableBy(user.id, id);
    return this.links.issue(id, user.id);
  }

  @Get('attachments/:id')
  async download(
    @Param('id', { schema: AttachmentIdParam }) id: string,
    @Query({ schema: AttachmentLinkQuery }) query: AttachmentLinkQuery,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const readerId =
      query.sig !== undefined
        ? this.links.verify(id, { user: query.user!, expires: query.expires!, sig: query.sig })
        : (await this.sessions.userOf(request.headers.authorization)).id;
    const { attachment, body } = await this.attachments.open(readerId, id);
    response.status(200).set(downloadHeaders(attachment));
    try {
      await pipeline(body, response);
    } catch (err) {
      // Headers are gone: all that is left is to cut the response short (pipeline did).
      if (!request.destroyed) this.logger.warn({ err, id }, 'attachment download broken off');
    }
  }
}
