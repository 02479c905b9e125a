/**
 * Just enough PNG decoding to check a screenshot: the header's size, and the pixels of the
 * non-interlaced 8-bit grey/RGB/RGBA images Chromium writes. Pure: no I/O (zlib inflates in memory).
 */
import { inflateSync } from "node:zlib";

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes per pixel, rows top to bottom. */
  readonly rgba: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Samples per pixel by PNG colour type (palette images are not supported). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlace: number;
}

/** The IHDR fields; throws when `data` is not a PNG. */
export function readPngHeader(data: Uint8Array): PngHeader {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG file");
  if (buf.toString("latin1", 12, 16) !== "IHDR") throw new Error("PNG does not start with IHDR");
  return {
    width: buf.readUInt32BE(16),
    height: buf.readUInt32BE(20),
    bitDepth: buf[24]!,
    colorType: buf[25]!,
    interlace: buf[28]!,
  };
}

export function decodePng(data: Uint8Array): DecodedPng {
  const header = readPngHeader(data);
  const { width, height } = header;
  const channels = CHANNELS[header.colorType];
  if (header.bitDepth !== 8 || channels === undefined || header.interlace !== 0) {
    throw new Error(
      `unsupported PNG: bit depth ${header.bitDepth}, colour type ${header.colorType}, interlace ${header.interlace}`,
    );
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const idat: Buffer[] = [];
  for (let off = 8; off + 12 <= buf.length;) {
    const length = buf.readUInt32BE(off);
    const type = buf.toString("latin1", off + 4, off + 8);
    if (type === "IDAT") idat.push(buf.subarray(off + 8, off + 8 + length));
    if (type === "IEND") break;
    off += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error("PNG image data is truncated");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0;
      const b = y > 0 ? pixels[row - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels]! : 0;
      pixels[row + x] = (line[x]! + predict(filter, a, b, c)) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const grey = channels <= 2;
    rgba[i * 4] = pixels[p]!;
    rgba[i * 4 + 1] = grey ? pixels[p]! : pixels[p + 1]!;
    rgba[i * 4 + 2] = grey ? pixels[p]! : pixels[p + 2]!;
    rgba[i * 4 + 3] = channels === 4 ? pixels[p + 3]! : channels === 2 ? pixels[p + 1]! : 255;
  }
  return { width, height, rgba };
}

function predict(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4: {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default:
      throw new Error(`PNG row filter ${filter} is not one of 0-4`);
  }
}

/** How many pixels satisfy `test(r, g, b)`. */
export function countPixels(
  image: DecodedPng,
  test: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let i = 0; i < image.rgba.length; i += 4) {
    if (test(image.rgba[i]!, image.rgba[i + 1]!, image.rgba[i + 2]!)) n++;
  }
  return n;
}

/** Near the dashboard's red (220, 0, 0), allowing for anti-aliasing at edges. */
export const isRed = (r: number, g: number, b: number): boolean => r >= 180 && g <= 60 && b <= 60;
/** Near the dashboard's green (0, 150, 60). */
export const isGreen = (r: number, g: number, b: number): boolean =>
  r <= 60 && g >= 110 && g <= 190 && b <= 110;
