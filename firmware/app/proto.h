/**
 * @file proto.h
 * @brief Device side of the mcuflow serial protocol (mirrors mcuflow/device/protocol.py).
 *
 * Frame on the wire: COBS(header | payload | crc32) followed by a 0x00
 * delimiter. Header: u16 payload length, u8 type, u8 sequence number, all
 * little-endian; crc32 is the IEEE CRC-32 (zlib's) of header and payload.
 * COBS makes 0x00 a frame boundary, so a dropped, duplicated or corrupted
 * byte loses one frame (its CRC fails) and the next delimiter resynchronises
 * without timeouts.
 */
#ifndef MCUFLOW_PROTO_H
#define MCUFLOW_PROTO_H

#include <stdint.h>

#define PROTO_VERSION 1u
#define PROTO_MAX_PAYLOAD 512u
#define PROTO_HEADER 4u
#define PROTO_CRC 4u

enum {
    MSG_HELLO = 0x01,
    MSG_SET_INPUT = 0x02,
    MSG_INVOKE = 0x03,
    MSG_GET_OUTPUT = 0x04,
    MSG_STATS = 0x05,
    MSG_PROFILE = 0x06, /* per-op counter readings of the last invoke (MODEL_PROFILE builds) */
    MSG_RESPONSE = 0x80, /* a response's type is the request's | MSG_RESPONSE */
    MSG_BOOT = 0xB0,     /* unsolicited, once after every reset */
    MSG_ERROR = 0xEE,
    MSG_FAULT = 0xEF,
};

enum {
    ERR_BAD_REQUEST = 1,
    ERR_BAD_INDEX = 2,
    ERR_BAD_RANGE = 3,
    ERR_INPUT_CRC = 4,
    ERR_UNKNOWN_TYPE = 5,
};

typedef struct {
    uint8_t type;
    uint8_t seq;
    uint16_t len;
    uint8_t *payload;
} frame_t;

uint32_t proto_crc32(uint32_t crc, const void *data, uint32_t len);
/** Blocks until a frame with a valid CRC arrives; bad frames are dropped silently. */
void proto_receive(frame_t *frame);
/** Sends one frame. */
void proto_send(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len);

static inline void put_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, v);
    put_u16(p + 2, v >> 16);
}
static inline uint32_t get_u16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static inline uint32_t get_u32(const uint8_t *p) { return get_u16(p) | (get_u16(p + 2) << 16); }

#endif
