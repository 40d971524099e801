WITH `t8` AS (
  SELECT
    `t7`.`__t`,
    SUM(`t7`.`amount`) AS `__n1`,
    COUNT(*) AS `__n0`
  FROM (
    SELECT
      `t2`.`amount`,
      `t2`.`order_date` AS `__d_order_date`,
      `t2`.`order_date` AS `__t`
    FROM `onpace_it_orders` AS `t2`
    WHERE
      `t2`.`order_date` <= DATE('2024-04-28')
      AND `t2`.`order_date` >= DATE('2023-04-01')
  ) AS `t7`
  GROUP BY
    1
)
SELECT
  `t21`.`__p` AS `period`,
  `t21`.`__n0` AS `orders`,
  CAST(`t21`.`__n2` AS DOUBLE) AS `order_amount_fytd`
FROM (
  SELECT
    `t4`.`__p`,
    COALESCE(`t17`.`__n0`, 0) AS `__n0`,
    COALESCE(`t17`.`__n1`, 0) AS `__n1`,
    COALESCE(`t20`.`__n2`, 0) AS `__n2`
  FROM `onpace_periods_e966898cbe18` AS `t4`
  LEFT OUTER JOIN (
    SELECT
      `t13`.`__p` AS `__g0p`,
      `t13`.`__n0`,
      `t13`.`__n1`
    FROM (
      SELECT
        `t12`.`__p`,
        SUM(`t12`.`__n0`) AS `__n0`,
        SUM(`t12`.`__n1`) AS `__n1`
      FROM (
        SELECT
          `t9`.`__t`,
          `t9`.`__n1`,
          `t9`.`__n0`,
          `t9`.`__t` - INTERVAL ((
            (
              (
                DAYOFWEEK(`t9`.`__t`) + 5
              ) % 7
            ) + 1
          ) % 7) DAY AS `__p`
        FROM `t8` AS `t9`
        WHERE
          `t9`.`__t` <= DATE('2024-04-28') AND `t9`.`__t` >= DATE('2024-03-03')
      ) AS `t12`
      GROUP BY
        1
    ) AS `t13`
  ) AS `t17`
    ON `t4`.`__p` = `t17`.`__g0p`
  LEFT OUTER JOIN (
    SELECT
      `t18`.`__p` AS `__g1p`,
      `t18`.`__n2`
    FROM (
      SELECT
        `t5`.`__ap` AS `__p`,
        `t16`.`__c` AS `__n2`
      FROM (
        SELECT
          `t11`.`__day`,
          `t11`.`__v`,
          SUM(`t11`.`__v`) OVER (
            PARTITION BY DATE_FORMAT(`t11`.`__day` - INTERVAL '3' MONTH, '%Y-01-01') + INTERVAL '3' MONTH
            ORDER BY CASE WHEN `t11`.`__day` IS NULL THEN 1 ELSE 0 END, `t11`.`__day` ASC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS `__c`
        FROM (
          SELECT
            `t6`.`__day`,
            COALESCE(`t10`.`__n1`, 0) AS `__v`
          FROM `onpace_days_b90e7dfab1a4` AS `t6`
          LEFT OUTER JOIN `t8` AS `t10`
            ON `t6`.`__day` = `t10`.`__t`
        ) AS `t11`
      ) AS `t16`
      INNER JOIN `onpace_asof_ae3aa4c70fa8` AS `t5`
        ON `t16`.`__day` = `t5`.`__ad`
    ) AS `t18`
  ) AS `t20`
    ON `t4`.`__p` = `t20`.`__g1p`
) AS `t21`
WHERE
  `t21`.`__p` >= DATE('2024-03-03')
