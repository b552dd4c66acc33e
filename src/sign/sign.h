/* Everything src/sign offers, for programs that use most of it. */
#ifndef SIGN_SIGN_H
#define SIGN_SIGN_H

#include "sign/assignment.h"
#include "sign/check.h"
#include "sign/cjson.h"
#include "sign/crypto.h"
#include "sign/envelope.h"
#include "sign/key.h"
#include "sign/keyfile.h"
#include "sign/release.h"
#include "sign/result.h"
#include "sign/root.h"
#include "sign/semver.h"

#endif
