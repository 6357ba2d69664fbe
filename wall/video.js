// Hook for the screen's composited video (one WebRTC track per screen, arriving in a later issue).

/**
 * Attach the screen's WebRTC track to `videoEl`. Not implemented yet: the media server's
 * per-screen output does not exist. When it does, negotiate here (WHEP or Socket.IO
 * signalling), set `videoEl.srcObject`, unhide it, and call `onLive(true)` so the page
 * drops its video placeholders. Returns a function that stops the video.
 */
export function attachScreenVideo(videoEl, { screenId, token, onLive }) {
  void videoEl; void screenId; void token; void onLive;
  return () => {};
}
