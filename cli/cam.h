/* cam.h: class activation maps as pictures, for `classify --cam`.
 *
 * A map (h x w floats from dn_session_cam) is upsampled bilinearly to the
 * model's input view (the resized, center-cropped image the network saw,
 * recovered from the input tensor by undoing Normalize), normalized to [0, 1]
 * per image, colored with matplotlib's viridis and blended over that view.
 * Nothing here keeps pointers; the caller owns every buffer.
 */
#ifndef CLI_CAM_H
#define CLI_CAM_H

#include "preprocess.h"

#include <stdio.h>

/* Bilinear resize of an h x w map to H x W (PyTorch's interpolate with
 * align_corners=False: pixel centers line up, edges clamp). */
void cli_cam_upsample(const float *map, int h, int w, float *out, int H, int W);
/* Renders RGB pixels (H x W x 3) of map over input x (C x H x W, C 1 or 3,
 * normalized with o's mean and std): (1 - alpha) * image + alpha * viridis(m),
 * m the upsampled map scaled to [0, 1] (all 0 when it is flat). scratch:
 * H * W floats. */
void cli_cam_render(const float *map, int h, int w, const float *x, int C, int H, int W,
                    const struct cli_preprocess_opts *o, float alpha, float *scratch, unsigned char *rgb);
/* Writes 8-bit RGB pixels as a PNG (zlib level 1: fast). 0, or -1 with err. */
int cli_png_write_rgb(FILE *f, const unsigned char *rgb, int W, int H, char *err, size_t errlen);

#endif
