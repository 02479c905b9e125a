import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { countPixels, decodePng, isGreen, isRed, readPngHeader } from "./png";

/** A minimal PNG encoder for the tests: 8-bit, the given colour type, one filter for every row. */
function encodePng(
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  pixels: Uint8Array,
  filter: 0 | 1 | 2 | 3 | 4,
): Buffer {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  const at = (x: number, y: number): number => (x < 0 || y < 0 ? 0 : pixels[y * stride + x]!);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = filter;
    for (let x = 0; x < stride; x++) {
      const a = at(x - channels, y);
      const b = at(x, y - 1);
      const c = at(x - channels, y - 1);
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter]!;
      raw[y * (stride + 1) + 1 + x] = (at(x, y) - predicted) & 0xff;
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const data = deflateSync(raw);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    // Split the image data over two IDAT chunks, as encoders may.
    chunk("IDAT", data.subarray(0, 5)),
    chunk("IDAT", data.subarray(5)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** 5x4 RGB: left two columns the dashboard's red, the rest its green, one grey pixel. */
function sample(): Uint8Array {
  const px = new Uint8Array(5 * 4 * 3);
  for (let y = 0; y < 4; y++)
    for (let x = 0; x < 5; x++) {
      const i = (y * 5 + x) * 3;
      px.set(x < 2 ? [220, 0, 0] : [0, 150, 60], i);
    }
  px.set([128, 128, 128], (3 * 5 + 4) * 3);
  return px;
}

describe("decodePng", () => {
  it.each([0, 1, 2, 3, 4] as const)("undoes row filter %s", (filter) => {
    const image = decodePng(encodePng(5, 4, 3, sample(), filter));
    expect([image.width, image.height]).toEqual([5, 4]);
    expect(countPixels(image, isRed)).toBe(8);
    expect(countPixels(image, isGreen)).toBe(11);
    expect([...image.rgba.subarray(19 * 4, 20 * 4)]).toEqual([128, 128, 128, 255]);
  });

  it("reads RGBA and grey images as RGBA", () => {
    const rgba = decodePng(encodePng(1, 1, 4, new Uint8Array([1, 2, 3, 4]), 4));
    expect([...rgba.rgba]).toEqual([1, 2, 3, 4]);
    const grey = decodePng(encodePng(2, 1, 1, new Uint8Array([7, 9]), 1));
    expect([...grey.rgba]).toEqual([7, 7, 7, 255, 9, 9, 9, 255]);
  });

  it("fails on a file that is not a PNG", () => {
    expect(() =>
      readPngHeader(Buffer.from("GIF89a, not a PNG at all, padded to 33 bytes")),
    ).toThrow("not a PNG file");
  });
});
