#pragma once

#include "model/jobstatus.h"
#include "model/logline.h"

#include <QColor>

namespace cd::ui {

// Status and level colours that read well on the current palette, light or dark.
bool darkPalette();
QColor statusColour(model::JobStatus status);
QColor levelColour(model::LogLevel level); // invalid = the palette's text colour
// A row whose data is on its way: fainter than any level.
QColor placeholderColour();

} // namespace cd::ui
