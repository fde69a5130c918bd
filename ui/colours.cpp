#include "colours.h"

#include <QGuiApplication>
#include <QPalette>

namespace cd::ui {

bool darkPalette()
{
    return QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
}

namespace {
QColor pick(bool dark, QRgb light, QRgb onDark)
{
    return QColor::fromRgb(dark ? onDark : light);
}
} // namespace

QColor statusColour(model::JobStatus s)
{
    const bool dark = darkPalette();
    using model::JobStatus;
    switch (s) {
    case JobStatus::Completed: return pick(dark, 0x1e7d3c, 0x6fd08c);
    case JobStatus::Failed:
    case JobStatus::TimedOut: return pick(dark, 0xc0302f, 0xff7b72);
    case JobStatus::Running:
    case JobStatus::Starting: return pick(dark, 0x1f6fc5, 0x79b8ff);
    case JobStatus::Cancelling:
    case JobStatus::Cancelled: return pick(dark, 0x9a6700, 0xe3b341);
    case JobStatus::Queued: break;
    }
    return pick(dark, 0x6e7781, 0x9da7b3);
}

QColor levelColour(model::LogLevel level)
{
    const bool dark = darkPalette();
    using model::LogLevel;
    switch (level) {
    case LogLevel::Error: return pick(dark, 0xc0302f, 0xff7b72);
    case LogLevel::Warning: return pick(dark, 0x9a6700, 0xe3b341);
    case LogLevel::Success: return pick(dark, 0x1e7d3c, 0x6fd08c);
    case LogLevel::Summary: return pick(dark, 0x7b4fc9, 0xc5a3ff);
    case LogLevel::Debug: return pick(dark, 0x6e7781, 0x8b949e);
    case LogLevel::Info: break;
    }
    return {};
}

QColor placeholderColour()
{
    return pick(darkPalette(), 0xaab1b9, 0x545c66);
}

} // namespace cd::ui
