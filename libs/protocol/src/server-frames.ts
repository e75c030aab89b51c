import { ErrorBody } from './error-codes';

/**
 * Server → client frames. Builders return the serialized text so that a payload is
 * serialized once and then handed unchanged to every recipient (DESIGN.md: no JSON work
 * per recipient). `*Raw` variants splice an already-serialized `data` JSON in.
 */
export const ServerEvent = {
  HELLO: 'hello',
  PONG: 'pong',
  ERROR: 'error',
  MESSAGE_CREATED: 'message.created',
  MESSAGE_UPDATED: 'message.updated',
  MESSAGE_DELETED: 'message.deleted',
  MEMBER_JOINED: 'room.member_joined',
  MEMBER_LEFT: 'room.member_left',
  MEMBER_MUTED: 'room.member_muted',
  MEMBER_UPDATED: 'room.member_updated',
  BAN_UPDATED: 'room.ban_updated',
  DM_OPENED: 'dm.opened',
  /** A public room was created: to every connection, so room lists stay live (addition). */
  ROOM_CREATED: 'room.created',
  REACTION_UPDATED: 'reaction.updated',
  READ_UPDATED: 'read.updated',
  TYPING_UPDATED: 'typing.updated',
  PRESENCE_UPDATED: 'presence.updated',
} as const;
export type ServerEvent = (typeof ServerEvent)[keyof typeof ServerEvent];

export interface ReplyOk<T = unknown> {
  type: 'reply';
  ref: string;
  ok: true;
  data: T;
}
export interface ReplyError {
  type: 'reply';
  ref: string;
  ok: false;
  error: ErrorBody;
}
export interface EventFrame<T = unknown> {
  type: string;
  data: T;
}
export type ServerFrame = ReplyOk | ReplyError | EventFrame;

export function eventFrame(type: string, data: unknown): string {
  return eventFrameRaw(type, JSON.stringify(data));
}

export function eventFrameRaw(type: string, dataJson: string): string {
  return `{"type":${JSON.stringify(type)},"data":${dataJson}}`;
}

export function replyOk(ref: string, data: unknown = {}): string {
  return replyOkRaw(ref, JSON.stringify(data));
}

export function replyOkRaw(ref: string, dataJson: string): string {
  return `{"type":"reply","ref":${JSON.stringify(ref)},"ok":true,"data":${dataJson}}`;
}

export function replyError(ref: string, error: ErrorBody): string {
  return JSON.stringify({ type: 'reply', ref, ok: false, error });
}

/** The answer to a failed frame: a reply when it had a `ref`, otherwise an `error` event. */
export function failureFrame(ref: string | undefined, error: ErrorBody): string {
  return ref === undefined ? eventFrame(ServerEvent.ERROR, error) : replyError(ref, error);
}

export const PONG_FRAME = '{"type":"pong"}';
