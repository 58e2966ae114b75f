/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * A firmware's ACPI start method for QEMU's -device tpm-crb (ppi=off, so
 * that the DSDT has no _DSM of its own), loaded with -acpitable by
 * tests/qemu/run.sh --crb-acpi-start.  QEMU's TPM2 table says start
 * method 7; the test build of tpm_safe treats it as 8 (crb_test_sm=8),
 * writes START and then calls this _DSM (function 1 of the TCG start
 * UUID), as for a firmware TPM with an ACPI start method.
 *
 * Function 1 does what such firmware does: it starts the command.  QEMU
 * starts a command only at the active locality, and with start method 8
 * the OS requests none, so the driver's own START write is ignored; the
 * method requests locality 0, writes START and gives the locality back,
 * so that every command needs it.  While a command runs (the driver's
 * cancel calls it too) there is nothing to start.  A TPM2_ReadClock
 * (0x181) in the command buffer is answered 1 (general failure), and not
 * started, for the failure path.
 *
 * QEMU's layout: locality 0 at 0xFED40000, the control area at +0x40,
 * the command buffer at +0x80 (its command code at +0x86, big-endian).
 */
DefinitionBlock ("", "SSDT", 2, "TPMSAF", "CRBSTART", 1)
{
    External (\_SB.TPM, DeviceObj)

    Scope (\_SB.TPM)
    {
        OperationRegion (TCRB, SystemMemory, 0xFED40000, 0x90)
        Field (TCRB, DWordAcc, NoLock, Preserve)
        {
            Offset (0x08),
            LCTL, 32,
            Offset (0x4C),
            STRT, 32
        }
        Field (TCRB, ByteAcc, NoLock, Preserve)
        {
            Offset (0x86),
            CC0, 8,
            CC1, 8,
            CC2, 8,
            CC3, 8
        }

        Method (_DSM, 4, Serialized)
        {
            If (Arg0 == ToUUID ("6bbf6cab-5463-4714-b7cd-f0203c0368d4"))
            {
                /* functions 0 and 1 */
                If (Arg2 == Zero)
                {
                    Return (Buffer (One) { 0x03 })
                }
                If (Arg2 == One)
                {
                    If ((CC0 == Zero) && (CC1 == Zero) &&
                        (CC2 == One) && (CC3 == 0x81))
                    {
                        Return (One)
                    }
                    /* a command runs (a cancel): nothing to start */
                    If (STRT & One)
                    {
                        Return (Zero)
                    }
                    LCTL = One
                    STRT = One
                    LCTL = 0x02
                    Return (Zero)
                }
            }
            Return (Buffer (One) { 0x00 })
        }
    }
}
