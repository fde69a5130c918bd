#include "tokenprompt.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace cd::ui {

TokenPrompt::TokenPrompt(const QString &server, const QString &why, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Token refused"));
    setMinimumWidth(460);
    auto *text = new QLabel(tr("<b>%1 refused the API token.</b><br>%2<br><br>Enter the server's token "
                               "(<code>crawldeck token</code> on the server prints it). It is kept in the keychain.")
                                .arg(server.toHtmlEscaped(), why.toHtmlEscaped()),
                            this);
    text->setWordWrap(true);
    m_token = new QLineEdit(this);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("API token"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    connect(m_token, &QLineEdit::textChanged, this,
            [this, buttons] { buttons->button(QDialogButtonBox::Ok)->setEnabled(!token().isEmpty()); });
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(text);
    layout->addWidget(m_token);
    layout->addWidget(buttons);
}

QByteArray TokenPrompt::token() const
{
    return m_token->text().trimmed().toUtf8();
}

} // namespace cd::ui
