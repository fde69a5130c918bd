#pragma once

#include <QDialog>

class QLabel;

namespace cd::ui {

// Help → About: the version of this build, the Qt it runs on, and the server the window works on.
class AboutDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AboutDialog)
public:
    // server: "Attached to https://…" or "Serving on http://…" (empty: not known).
    AboutDialog(const QString &server, QWidget *parent = nullptr);
    QString text() const;

private:
    QLabel *m_text;
};

} // namespace cd::ui
