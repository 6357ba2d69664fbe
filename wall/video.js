// Hook for the screen's composited video (one WebRTC track per screen), played over WHEP.

import { playWhep } from "./whep-player.js";

/**
 * Attach the screen's WebRTC track to `videoEl`: WHEP from /whep/screens/{id} with the
 * screen's token; the player unhides the video and calls `onLive(true)` once frames are
 * decoded (so the page drops its video placeholders), and reconnects by itself.
 * Returns a function that stops the video.
 */
export function attachScreenVideo(videoEl, { screenId, token, onLive }) {
  return playWhep(videoEl, `/whep/screens/${encodeURIComponent(screenId)}`, { token, onLive });
}
