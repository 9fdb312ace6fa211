/* nosymbol.c - test "module" that exports no flux_module_init. */
int nosymbol_placeholder(void);
int nosymbol_placeholder(void)
{
    return 42;
}
