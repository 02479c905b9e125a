import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { STATUS_COLORS } from "./html";
import { countPixels, isGreen, isRed } from "./pixels";

/** `[r, g, b]` from the dashboard's `rgb(r, g, b)`. */
function rgb(css: string): [number, number, number] {
  const m = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(css);
  if (!m) throw new Error(`not rgb(r, g, b): ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** 5x4: left two columns the dashboard's red, the rest its green, one grey pixel; as a PNG file. */
function samplePng(colorType: 2 | 6): Buffer {
  const png = new PNG({ width: 5, height: 4 });
  for (let y = 0; y < 4; y++)
    for (let x = 0; x < 5; x++) {
      const color = x < 2 ? rgb(STATUS_COLORS.down) : rgb(STATUS_COLORS.up);
      png.data.set([...color, 255], (y * 5 + x) * 4);
    }
  png.data.set([128, 128, 128, 255], (3 * 5 + 4) * 4);
  return PNG.sync.write(png, { colorType });
}

describe("countPixels", () => {
  it.each([
    ["RGB", 2],
    ["RGBA", 6],
  ] as const)("counts the red and green pixels of a decoded %s PNG", (_name, colorType) => {
    const image = PNG.sync.read(samplePng(colorType));
    expect([image.width, image.height]).toEqual([5, 4]);
    expect(countPixels(image, isRed)).toBe(8);
    expect(countPixels(image, isGreen)).toBe(11);
    expect([...image.data.subarray(19 * 4, 20 * 4)]).toEqual([128, 128, 128, 255]);
  });
});

describe("isRed and isGreen", () => {
  it.each([
    ["up", false, true],
    ["down", true, false],
    ["timeout", true, false],
    ["pending", false, false],
  ] as const)("classify the dashboard's %s colour (red %s, green %s)", (status, red, green) => {
    const [r, g, b] = rgb(STATUS_COLORS[status]);
    expect([isRed(r, g, b), isGreen(r, g, b)]).toEqual([red, green]);
  });
});
