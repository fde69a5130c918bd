#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;

namespace cd::ui {

// Asks for a server's token again after it refused the one given. Opened window-modal with open():
// no event loop of its own, so the window keeps drawing and a test can answer it.
class TokenPrompt final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TokenPrompt)
public:
    // `saved`: the token replaces the saved one once the server accepts it.
    TokenPrompt(const QString &server, const QString &why, bool saved, QWidget *parent = nullptr);

    QByteArray token() const;
    QLineEdit *tokenEdit() const { return m_token; }

private:
    QLineEdit *m_token;
};

} // namespace cd::ui
