/*
 * target/atmega328p/target.c: an ATmega328P at 16 MHz (an Arduino Uno), as simavr emulates it.
 * target.h over USART0 (115200 baud, 8N1: simavr prints what it sends), an exit that stops the
 * CPU (sleep with interrupts off: simavr then quits), and a cycle counter from Timer1.
 * avr-libc's start-up code sets up .data and .bss; target_start runs just before main.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <util/delay_basic.h>
#include <stdint.h>

#include "../../target.h"

/* Timer1 overflows so far: the high half of the cycle count. The one variable the ISR shares. */
static volatile uint16_t target_timer_overflows;

ISR(TIMER1_OVF_vect)
{
    target_timer_overflows++;
}

/* In .init8, the last start-up section avr-libc runs before main: the UART and the counter. */
void target_start(void) __attribute__((naked, used, section(".init8")));

void target_start(void)
{
    UCSR0A = (uint8_t)(1u << U2X0); /* double speed: 16 MHz / (8 * (16 + 1)) = 117647 baud, 2% off 115200 */
    UBRR0 = 16u;
    UCSR0B = (uint8_t)(1u << TXEN0);
    UCSR0C = (uint8_t)((1u << UCSZ01) | (1u << UCSZ00));
    TCCR1A = 0u;
    TCCR1B = (uint8_t)(1u << CS10); /* counts every CPU cycle, no prescaler */
    TIMSK1 = (uint8_t)(1u << TOIE1);
    sei();
}

/* One byte's time on the line (10 bits of 8 * (UBRR0 + 1) cycles = 1360), with a margin, in
 * 4-cycle iterations of _delay_loop_2. The harness waits this long after each byte instead of
 * polling UDRE0: simavr sleeps a microsecond of real time on every poll of the status register,
 * which made a run take seconds; on a real part the wait is the same as the poll. */
#define TARGET_BYTE_LOOPS 360u

void target_write(const char *text)
{
    while (*text != '\0') {
        UDR0 = (uint8_t)*text++;
        _delay_loop_2(TARGET_BYTE_LOOPS);
    }
}

void target_exit(int status)
{
    (void)status; /* the harness's RESULT line says it */
    cli();
    sleep_enable();
    for (;;) {
        sleep_cpu(); /* with interrupts off the CPU never wakes: simavr ends the run */
    }
}

/* Cycles since reset (mod 2^32): Timer1's count with its overflows above it. An overflow
 * whose interrupt has not run yet (interrupts are off here) is counted when its flag is set
 * and the count has just wrapped. */
uint32_t target_cycles(void)
{
    uint8_t sreg = SREG;
    uint16_t low;
    uint16_t high;
    cli();
    low = TCNT1;
    high = target_timer_overflows;
    if ((TIFR1 & (1u << TOV1)) != 0u && low < 0x8000u) {
        high++;
    }
    SREG = sreg;
    return ((uint32_t)high << 16) | low;
}
