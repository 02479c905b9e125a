/**
 * What the screenshot check looks for in a decoded image (pngjs's `PNG.sync.read`, which gives
 * every PNG as 8-bit RGBA): how many pixels are near the dashboard's red or green. Pure.
 */

/** An image as RGBA, 4 bytes per pixel. */
export interface RgbaImage {
  readonly data: Uint8Array;
}

/** How many pixels satisfy `test(r, g, b)`. */
export function countPixels(
  image: RgbaImage,
  test: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let i = 0; i + 3 < image.data.length; i += 4) {
    if (test(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)) n++;
  }
  return n;
}

/** Near the dashboard's red (220, 0, 0), allowing for anti-aliasing at edges. */
export const isRed = (r: number, g: number, b: number): boolean => r >= 180 && g <= 60 && b <= 60;
/** Near the dashboard's green (0, 150, 60). */
export const isGreen = (r: number, g: number, b: number): boolean =>
  r <= 60 && g >= 110 && g <= 190 && b <= 110;
