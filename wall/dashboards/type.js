// Type on the wall, sized from the screen's physical pixel pitch: a length in millimetres on the screen as CSS
// pixels of this kiosk page (the page may be scaled to the screen's resolution, e.g. in tests).

/** CSS pixels of `mm` on a screen of `mmPerPx` millimetres per screen pixel, `resolutionW` screen pixels wide. */
export function mmToPx(mm, mmPerPx, resolutionW, viewportW = window.innerWidth) {
  return (mm / mmPerPx) * (viewportW / resolutionW);
}

/** The three sizes of a dashboard (CSS pixels): key figures, labels and everything else, titles. */
export function typeSizes(type, mmPerPx, screen) {
  const px = (mm) => mmToPx(mm, mmPerPx, screen.resolution[0]);
  return { figure: px(type.figure_mm), label: px(type.label_mm), title: px(type.title_mm) };
}
